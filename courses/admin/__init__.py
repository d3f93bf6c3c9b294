"""The authoring admin, one module per subject. Every queryset and choice list goes through
courses.permissions (`scoping`), every write through courses.services.

Importing the modules registers their admins: `course`, `content`, `assignments`, `learners`.
"""

from . import assignments, content, course, learners

__all__ = ["assignments", "content", "course", "learners"]
