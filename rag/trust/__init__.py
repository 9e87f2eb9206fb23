"""Trust: every answer sentence checked against its sources (verify, drafts), disagreeing sources (conflicts) and
citation anchors resolved after rebuilds (anchors)."""
