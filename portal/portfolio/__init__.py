"""A business customer's portfolio: every premise on the account side by side over a chosen range (totals
table, chart, cost where a plan is set) and one combined download of all of them."""
