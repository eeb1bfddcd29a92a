"""The HTTP API: call analytics and transcription jobs over FastAPI, keys and usage in the store.

An interface layer: it uses the core (pipeline, store, media, plugins' registry) and never the
Prefect flows. ``create_app(ApiSettings(...))`` builds the ASGI app; ``hearflow api`` serves it.
"""
