from django.http import Http404, JsonResponse

from registry.api.problems import CATALOGUE


def problem_description(request, slug):
    """What a problem ``type`` means, for the person reading an error."""
    if slug not in CATALOGUE:
        raise Http404("unknown problem type")
    title, remedy = CATALOGUE[slug]
    return JsonResponse({"type": f"/api/problems/{slug}", "title": title, "remedy": remedy})
