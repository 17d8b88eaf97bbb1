"""The hub on the network: the ASGI/uvicorn server and its time and connection limits, the Flask
application, who may do what, errors as JSON, the API v1, the pages, their static files and
templates, metrics and live event streams.
"""
