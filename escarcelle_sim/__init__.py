"""The Escarcelle emulator: a stand-in for the remote shop system; imports nothing from Epiclic."""
