"""Audio protocol translators: each turns one protocol's messages into ingress events, with no network.

``browser`` (PCM16 from a browser microphone), ``twilio`` (Twilio Media Streams), ``audiohook`` (Genesys
AudioHook monitor). The WebSocket routes (callpilot.api.routes.audio) and the test clients (``clients``)
sit on either side of them.
"""
