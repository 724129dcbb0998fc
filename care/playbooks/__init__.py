"""Playbooks: rules that open exceptions before customers call, with an owner team and an SLA timer.

`rules` says what each rule is and how a merchant set it up; `services` opens, clears and escalates
exceptions and takes the automatic actions; `checks` finds the conditions (from live ETAs, milestones
and a periodic sweep for what only time reveals).
"""
