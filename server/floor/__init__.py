"""The floor and its log: the one write path, the event log and its folds, the reads and views built on
them, the estimates kept fresh, and the database that holds it all (migrations, checks, backups).
Everything else in the hub changes the floor only through `floor.floor.Floor`'s public methods.
"""
