"""A season of traffic through the crossing, driven through the real APIs of two nodes.

`model` and `goods` decide what happens (pure Python, seeded); `engine` plays it against the
nodes over HTTP on a simulated clock; `link` is the network between the nodes (with outages);
`nodes` sets up and starts two nodes for `karakoram demo`; `report` reads what came out.
"""
