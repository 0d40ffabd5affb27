"""HTTP handlers, one module per resource; `app.py` registers them."""
