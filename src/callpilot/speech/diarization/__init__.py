"""Who spoke when: roles from channels (stereo, per-track) need no model; mono audio is clustered (mono.py)
and its clusters named by what they say (roles.py)."""
