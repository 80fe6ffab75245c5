"""Sign-in abuse: failed sign-ins counted per username and per address; guessing is answered 429.

``throttle`` holds the counters (on Django's cache: Redis when ``REDIS_URL`` is set), ``backends``
refuses a throttled sign-in before any password is checked and resets the count on success,
``receivers`` counts each failure Django reports, and ``middleware`` turns a refused sign-in into
429 with ``Retry-After``, as JSON for API callers and as a page for browsers.
"""
