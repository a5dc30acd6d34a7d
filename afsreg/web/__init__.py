"""The registry on the web: a static catalogue, a live server, and an MLflow-compatible read API.

snapshot.py   the registry at one commit, with lineage, history and cards memoised
svg.py        inline SVG: lineage graph, metric charts, deployment timelines
pages.py      the HTML pages (Jinja2 templates in templates/, assets in static/)
site.py       ``afsreg site``: every page written to a folder
api.py        the JSON API's data (models, versions, resolve, search, lineage, history)
              through afsreg.read.resolve and afsreg.read.search
server.py     ``afsreg serve``: pages, JSON API and MLflow API on FastAPI
mlflow.py     afsreg versions as MLflow's registered models, versions and aliases
"""
