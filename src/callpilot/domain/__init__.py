"""The call domain: immutable events and the state folded from them."""
