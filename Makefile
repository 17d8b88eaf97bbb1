# The two commands of the README: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
GUI_ENV := KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 SDL_AUDIODRIVER=dummy KIVY_HOME=$(CURDIR)/var/kivy-home

.PHONY: setup demo hq-demo test lint clean bundle

$(VENV)/.installed: setup.cfg pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

setup: $(VENV)/.installed

# make demo PORT=8000: the hub on another port
demo: setup
	$(GUI_ENV) $(VENV)/bin/navbat demo $(if $(PORT),--port $(PORT))

# Headquarters: PostgreSQL under var/hq-demo, HQ on :8090/hq (or PORT), three branch hubs on free ports,
# each with its own branch file, fed by the simulator.
hq-demo: setup
	$(VENV)/bin/navbat hq-demo $(if $(PORT),--port $(PORT))

test: setup
	$(VENV)/bin/ruff check .
	bash scripts/run-tests.sh

# A wheelhouse tarball for a branch without internet (docs/deploy.md): var/bundle/navbat-bundle-<v>.tar.gz
bundle: setup
	bash scripts/bundle.sh var/bundle

# Every folder and file the demos made (var/hq-demo belongs to postgres when made as root: run as root).
clean:
	rm -rf $(VENV) var/*.sqlite* var/tickets var/wheel var/sms.log var/hq-demo var/kivy-home
