"""How the OpenAPI schema describes our token authentication (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "metrics.api.auth.ApiTokenAuthentication"
    name = "token"
    # Without a token a request is answered too (public plans): no token is optional.
    optional = True

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>` or `Bearer <token>`, from your account page."}
