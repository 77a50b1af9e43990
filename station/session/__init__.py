"""One student's visit at the station: session actions, the station controller fed by typed events, its runtime."""
