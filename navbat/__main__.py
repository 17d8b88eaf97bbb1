import sys

from navbat.cli import main

sys.exit(main())
