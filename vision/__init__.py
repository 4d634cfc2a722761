"""Vision: photos in, pose, view, back shape, measurements and annotated pictures out.

Knows nothing of chat. Entry points: ``vision.loading.load_image``,
``vision.analysis.analyse_image`` (one photo, in-process) and
``vision.pool.PoseService`` (worker processes, sync and async).
"""
