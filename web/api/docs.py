"""The API's readable docs page, ``/api/docs``: Swagger UI over ``/api/openapi.json``.

Swagger UI comes from the npm package ``swagger-ui-dist``, copied under
``web/static/vendor/swagger-ui``; it is started by ``web/static/js/api-docs.js`` (no inline script,
so the Content-Security-Policy needs no exception) and ``web/static/css/api-docs.css`` darkens its
colours to a readable contrast. The page needs no token; trying a request in it
needs one (the "Authorize" button).
"""

from __future__ import annotations

from flask import Blueprint, Response, url_for
from markupsafe import escape

__all__ = ["bp"]

bp = Blueprint("api_docs_page", __name__, url_prefix="/api")

_PAGE = """<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API de Passerelle — documentation</title>
<link rel="icon" href="{icon}" type="image/svg+xml">
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{local_css}">
</head>
<body>
<main>
<div class="api-docs-intro">
<h1>API de Passerelle</h1>
<p>Documentation de l'API JSON de Passerelle (format OpenAPI 3 :
<a href="{spec}">openapi.json</a>). Chaque appel demande un jeton :
<code>Authorization: Bearer &lt;jeton&gt;</code>.</p>
</div>
<div id="swagger-ui" data-spec-url="{spec}"></div>
</main>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@bp.route("/docs", methods=["GET"], endpoint="docs")
def docs() -> Response:
    """Serve the docs page."""
    html = _PAGE.format(
        icon=escape(url_for("static", filename="favicon.svg")),
        css=escape(url_for("static", filename="vendor/swagger-ui/swagger-ui.css")),
        local_css=escape(url_for("static", filename="css/api-docs.css")),
        bundle=escape(url_for("static", filename="vendor/swagger-ui/swagger-ui-bundle.js")),
        init=escape(url_for("static", filename="js/api-docs.js")),
        spec=escape(url_for("api-docs.openapi_json")),
    )
    return Response(html, mimetype="text/html")
