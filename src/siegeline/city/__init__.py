"""The city's side of the model: rationing, station queues, prices and impacts.

Each function works on whole arrays (any leading axes) so both engines share them.
"""
