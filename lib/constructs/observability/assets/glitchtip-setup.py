"""GlitchTip setup: the organization, its projects with fixed ids, their DSN keys, the admin.

Runs after GlitchTip's migrations on every deploy (a Sync hook Job, `python <this file>` in the
GlitchTip image, working directory /code). It creates what is missing and corrects what it owns;
it never deletes data. It stops, naming the conflict, when the database disagrees in a way it must
not change on its own: a project id held by another project, a DSN key used by another project.

Why fixed ids: a Sentry DSN is `<scheme>://<public key>@<host>/<project id>`. The apps compose
their DSN at deploy time from the key Secret and the id in their manifests, so the id of project
`gateway` must be known before the project exists. The projects are created with the ids given
here, and the id sequence is moved past them so projects created later in the UI get new ids.

Input (environment):
  GLITCHTIP_ORGANIZATION_SLUG, GLITCHTIP_ORGANIZATION_NAME
  GLITCHTIP_PROJECTS                 "<slug>:<id>,<slug>:<id>", e.g. "backend:1,gateway:2"
  GLITCHTIP_PROJECT_KEY_<SLUG>       the project's DSN public key, 32 hexadecimal digits
                                     (slug upper-cased, "-" as "_")
  GLITCHTIP_ADMIN_EMAIL, GLITCHTIP_ADMIN_PASSWORD
                                     the first user, owner of the organization (created once;
                                     a password changed in the UI is kept)
"""

import os
import re
import sys
import uuid

SLUG = re.compile(r"^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$")


class SetupError(Exception):
    """A value or a database state the setup must not work around."""


def key_env(slug):
    """The variable holding the DSN public key of project `slug`."""
    return "GLITCHTIP_PROJECT_KEY_" + slug.upper().replace("-", "_")


def parse_projects(spec):
    """`"backend:1,gateway:2"` -> [("backend", 1), ("gateway", 2)]; slugs and ids unique."""
    projects = []
    for item in [p.strip() for p in spec.split(",") if p.strip()]:
        slug, sep, raw_id = item.partition(":")
        if not sep or not SLUG.match(slug) or not raw_id.isdigit() or int(raw_id) < 1:
            raise SetupError(
                "GLITCHTIP_PROJECTS: got %r; expected <slug>:<id> with a lowercase slug and an integer id >= 1" % item
            )
        projects.append((slug, int(raw_id)))
    if not projects:
        raise SetupError("GLITCHTIP_PROJECTS is empty; expected at least one <slug>:<id>")
    for index, name in ((0, "slug"), (1, "id")):
        values = [p[index] for p in projects]
        if len(set(values)) != len(values):
            raise SetupError("GLITCHTIP_PROJECTS: got %r; expected each project %s once" % (spec, name))
    return projects


def public_key(slug, environ):
    """The DSN public key of `slug` from its variable, as a UUID (the form GlitchTip stores and checks)."""
    name = key_env(slug)
    value = environ.get(name, "").strip()
    if not re.match(r"^[0-9a-fA-F]{32}$", value):
        # Never print the value: it is read from a Secret.
        raise SetupError("%s: %s; expected 32 hexadecimal digits (a UUID without dashes)" % (name, "missing" if not value else "malformed"))
    return uuid.UUID(value)


def required(environ, name):
    value = environ.get(name, "").strip()
    if not value:
        raise SetupError("%s is missing; expected a non-empty value" % name)
    return value


def ensure_project(models, org, slug, project_id, key, log):
    """Project `slug` with id `project_id` in `org`, with `key` among its active keys.

    Keys are only added or re-activated, never removed: after a rotated Secret the old key keeps
    working until it is deleted in the UI (Project settings, Client Keys).
    """
    Project, ProjectKey = models.Project, models.ProjectKey
    by_slug = Project.objects.filter(organization=org, slug=slug).first()
    by_id = Project.objects.filter(pk=project_id).first()
    if by_slug is not None and by_slug.pk != project_id:
        raise SetupError(
            "project %r has id %s; expected id %s (its DSNs use that id: change the configured id, or move the project)"
            % (slug, by_slug.pk, project_id)
        )
    if by_slug is None and by_id is not None:
        raise SetupError(
            "project id %s belongs to project %r of organization %s; expected it free for project %r"
            % (project_id, by_id.slug, by_id.organization_id, slug)
        )
    project = by_slug
    if project is None:
        # With the primary key given, GlitchTip's Project.save() adds no random key of its own.
        project = Project.objects.create(pk=project_id, organization=org, name=slug, slug=slug)
        models.reset_project_sequence()
        log("created project %s (id %s)" % (slug, project_id))
    existing = ProjectKey.objects.filter(public_key=key).first()
    if existing is not None and existing.project_id != project.pk:
        raise SetupError("the DSN key of project %r is already a key of project id %s; expected a key of its own" % (slug, existing.project_id))
    if existing is None:
        ProjectKey.objects.create(project=project, public_key=key)
        log("added the configured DSN key to project %s" % slug)
    elif not existing.is_active:
        existing.is_active = True
        existing.save()
        log("re-activated the configured DSN key of project %s" % slug)
    return project


def ensure_admin(models, org, email, initial_login, log):
    """The admin user (created once, with a verified address) and its membership (the first member owns the organization)."""
    user = models.User.objects.filter(email=email).first()
    if user is None:
        user = models.User.objects.create_superuser(email, initial_login)
        log("created admin user %s" % email)
    models.EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
    if not org.users.filter(pk=user.pk).exists():
        org.add_user(user)
        log("added %s to organization %s" % (email, org.slug))
    return user


def setup(models, environ, log):
    """Everything, in one transaction: a failure leaves the database as it was."""
    projects = parse_projects(required(environ, "GLITCHTIP_PROJECTS"))
    keys = {slug: public_key(slug, environ) for slug, _ in projects}
    if len(set(keys.values())) != len(keys):
        raise SetupError("the projects' DSN keys are not distinct; expected one key per project")
    org_slug = required(environ, "GLITCHTIP_ORGANIZATION_SLUG")
    if not SLUG.match(org_slug):
        raise SetupError("GLITCHTIP_ORGANIZATION_SLUG: got %r; expected a lowercase slug" % org_slug)
    org_name = required(environ, "GLITCHTIP_ORGANIZATION_NAME")
    email = required(environ, "GLITCHTIP_ADMIN_EMAIL")
    initial_login = required(environ, "GLITCHTIP_ADMIN_PASSWORD")
    with models.atomic():
        org, created = models.Organization.objects.get_or_create(slug=org_slug, defaults={"name": org_name})
        if created:
            log("created organization %s" % org_slug)
        ensure_admin(models, org, email, initial_login, log)
        for slug, project_id in projects:
            ensure_project(models, org, slug, project_id, keys[slug], log)
    log("GlitchTip setup done: organization %s, projects %s" % (org_slug, ", ".join("%s=%s" % p for p in projects)))


class DjangoModels:
    """GlitchTip's models and the database helpers the setup uses (imported after django.setup())."""

    def __init__(self):
        from allauth.account.models import EmailAddress
        from django.core.management.color import no_style
        from django.db import connection, transaction

        from apps.organizations_ext.models import Organization
        from apps.projects.models import Project, ProjectKey
        from apps.users.models import User

        self.EmailAddress, self.Organization, self.Project, self.ProjectKey, self.User = (
            EmailAddress,
            Organization,
            Project,
            ProjectKey,
            User,
        )
        self.atomic = transaction.atomic
        self._connection, self._no_style = connection, no_style

    def reset_project_sequence(self):
        """Move the project id sequence past the largest id (ids given explicitly do not advance it)."""
        with self._connection.cursor() as cursor:
            for statement in self._connection.ops.sequence_reset_sql(self._no_style(), [self.Project]):
                cursor.execute(statement)


def main():
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glitchtip.settings")
    import django

    django.setup()
    try:
        setup(DjangoModels(), os.environ, lambda message: print(message, flush=True))
    except SetupError as error:
        print("GlitchTip setup failed: %s" % error, file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
