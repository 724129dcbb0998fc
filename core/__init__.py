"""The ground floor: the clock, the domain error base and the API error handler, environment parsing.

Every app may import `core`; `core` imports no app of ours.
"""
