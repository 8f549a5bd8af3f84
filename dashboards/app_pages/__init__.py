"""The dashboard's pages, one module each: ``app.py`` lists them in its navigation."""
