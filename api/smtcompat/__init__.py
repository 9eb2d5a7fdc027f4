"""Smart Meter Texas compatibility (docs/smt-compatibility.md): the paths, bodies and status codes the
unmodified ``smart-meter-texas`` client (Home Assistant's integration) uses, translated onto the same
services, selectors and access checks as the portal and ``/api/v1/``. No rule of its own lives here."""
