"""Use cases composing the domain packages; the faces call only these."""
