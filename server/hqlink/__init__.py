"""The branch's link to headquarters: shipping the log to HQ in order, and running the visitors'
requests that HQ relays to this branch.
"""
