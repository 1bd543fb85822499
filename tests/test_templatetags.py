"""The HTML written in Python (dashboard/templatetags): escaped, and faithful or refused."""

from __future__ import annotations

import pytest
from django import forms

from dashboard.forms.clients import ClientFilterForm
from dashboard.services.client_query import ClientQuery
from dashboard.templatetags.dashboard import filter_fields, service_badge, status_badge


class Controls(forms.Form):
    name = forms.CharField(label="Name <b>", required=False, max_length=20)
    day = forms.DateField(label="Day", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Kind", required=False, choices=[("", "Any"), ("a&b", "A & B")])


def test_inputs_and_selects_are_written_with_every_value_escaped():
    html = filter_fields(Controls({"name": '"><script>x</script>', "kind": "a&b"}))
    assert '<label for="id_name">Name &lt;b&gt;</label>' in html
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html and "<script>" not in html
    assert 'maxlength="20"' in html and 'type="date"' in html
    assert '<option value="a&amp;b" selected>A &amp; B</option>' in html


@pytest.mark.parametrize(
    "field",
    [
        forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple),
        forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect),
        forms.MultipleChoiceField(choices=[("a", "A")]),
        forms.CharField(widget=forms.Textarea),
        forms.BooleanField(),
        forms.ChoiceField(choices=[("Group", [("a", "A")])]),
    ],
)
def test_a_widget_it_cannot_write_faithfully_is_refused(field):
    form = forms.Form()
    form.fields["odd"] = field
    with pytest.raises(TypeError, match="filter_fields cannot write"):
        filter_fields(form)


def test_the_client_filters_show_what_was_typed_and_the_querys_messages():
    form = ClientFilterForm(ClientQuery.from_data("min_traffic=lots&cdn=active&ordering=email,-id"))
    html = filter_fields(form)
    assert 'value="lots"' in html and 'aria-invalid="true"' in html
    assert '<small class="field-error" id="error-min_traffic">Enter a number.</small>' in html
    assert '<option value="active" selected>active</option>' in html
    assert '<option value="email,-id" selected>Custom: email,-id</option>' in html  # typed by hand, kept


def test_badges_escape_what_gcore_sends():
    assert (
        str(status_badge("<i>new</i>")) == '<span class="status status-inewi">&lt;i&gt;new&lt;/i&gt;</span>'
    )
    badge = str(service_badge("CDN", "paused", False))
    assert 'class="svc status-paused svc-disabled"' in badge and 'title="CDN: paused (not enabled)"' in badge
    assert '<span class="visually-hidden"> paused (not enabled)</span>' in badge
