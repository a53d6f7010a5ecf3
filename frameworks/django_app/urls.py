"""Every book and loan operation under /rest, one class-based view per resource."""

from __future__ import annotations

from django.urls import path

from frameworks.django_app import views

urlpatterns = [
    path("rest/books", views.BooksView.as_view()),
    path("rest/books/<str:isbn>", views.BookView.as_view()),
    path("rest/loans", views.LoansView.as_view()),
    path("rest/loans/<str:loan_id>", views.LoanView.as_view()),
]

handler404 = views.not_found
