"""Headquarters (F4, D9, F5): every branch's events, shipped by the branch hubs, in PostgreSQL.

Its own package on top of `server`: it imports the branch's report code (server.reports) so a
branch's figures at HQ come from the same functions as the branch's own report, and nothing of
the branch imports it (the branch side of the link is server.shipping, which speaks HTTP only).
"""
