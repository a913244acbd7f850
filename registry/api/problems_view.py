from django.http import Http404, JsonResponse

from registry.api.problems import catalogue


def problem_description(request, slug):
    """What a problem ``type`` means, for the person reading an error."""
    known = catalogue()
    if slug not in known:
        raise Http404("unknown problem type")
    title, remedy = known[slug]
    return JsonResponse({"type": f"/api/problems/{slug}", "title": title, "remedy": remedy})
