"""Visitors' channels away from the kiosk: remote turns and their sweep, appointments and their share
of the day, phone verification, SMS, ratings and the budgets that bound what an outsider can make
the branch spend. Phone numbers live here, never in the log.
"""
