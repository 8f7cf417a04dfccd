"""Placeholder replaced below."""
class LRScheduler:
    pass
