"""Pages of the third-party side: the customer's ("Apps with access", access log) and the developer's."""
