"""A season of traffic through the crossing, driven through the real APIs of two nodes.

`model` and `goods` decide what happens (pure Python, seeded); `engine` plays it against the
nodes over HTTP on a simulated clock, speaking to each through `client`; `link` is the network
between the nodes (with outages); `nodes` sets up two nodes through the composition root and
the same services the CLI calls, then starts each as a `karakoram serve` process; `report` reads
what came out; `run` is what `karakoram demo` and `karakoram simulate` do, in that order.
"""
