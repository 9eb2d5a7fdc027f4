"""What energy costs a resident: their plan per premise, the TDUs' delivery tariffs, cost per interval,
bill-to-date and a projection for the current cycle. Named "bill"/"plan" (the state-scale infrastructure
cost model is ``cost_model``, something else)."""
