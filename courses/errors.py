"""Refusals a learner can meet; views turn them into a 4xx page with the message."""

from django.utils.translation import gettext_lazy as _


class LearningError(Exception):
    status = 400
    default_message = _("This request cannot be carried out.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class NotEnrolled(LearningError):
    status = 403
    default_message = _("You are not enrolled in this course. Enrol first, then continue.")


class CourseNotOpen(LearningError):
    status = 404
    default_message = _("This course is not open for enrolment.")


class LessonLocked(LearningError):
    status = 403
    default_message = _("This lesson is locked. Complete the previous lesson first.")


class WrongLessonKind(LearningError):
    status = 400
    default_message = _("This lesson is completed in another way.")


class InvalidAnswer(LearningError):
    status = 400
    default_message = _("Some answers do not belong to this quiz. Reload the page and try again.")


class AttemptLimitReached(LearningError):
    status = 409
    default_message = _("You have used all attempts for this quiz.")


class AlreadySubmitted(LearningError):
    status = 409
    default_message = _("This attempt has already been submitted. Your result is shown below.")


class AlreadyPassed(LearningError):
    status = 409
    default_message = _("You have already passed this quiz.")
