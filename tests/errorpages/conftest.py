from tests.helpers.portal_usage import (  # noqa: F401 - fixtures, registered by being here
    customer,
    home,
    rep,
    today,
)
