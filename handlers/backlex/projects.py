"""backlex — Projects: operations tagged 'Projects'."""

from spec_server.errors import NotImplementedYet


def get_org_projects(**_params):
    """GET /api/org/{slug}/projects"""
    raise NotImplementedYet()


def post_org_projects(**_params):
    """POST /api/org/{slug}/projects"""
    raise NotImplementedYet()


def delete_org_project(**_params):
    """DELETE /api/org/{slug}/projects/{projectSlug}"""
    raise NotImplementedYet()


def get_org_project(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}"""
    raise NotImplementedYet()


def patch_org_project(**_params):
    """PATCH /api/org/{slug}/projects/{projectSlug}"""
    raise NotImplementedYet()


def get_org_project_alarms(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}/alarms"""
    raise NotImplementedYet()


def post_org_project_alarms(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/alarms"""
    raise NotImplementedYet()


def delete_org_project_alarm(**_params):
    """DELETE /api/org/{slug}/projects/{projectSlug}/alarms/{id}"""
    raise NotImplementedYet()


def get_org_project_backups(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}/backups"""
    raise NotImplementedYet()


def post_org_project_backups(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/backups"""
    raise NotImplementedYet()


def post_org_project_backup_restore(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/backups/{id}/restore"""
    raise NotImplementedYet()


def get_org_project_branches(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}/branches"""
    raise NotImplementedYet()


def post_org_project_branches(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/branches"""
    raise NotImplementedYet()


def delete_org_project_branch(**_params):
    """DELETE /api/org/{slug}/projects/{projectSlug}/branches/{id}"""
    raise NotImplementedYet()


def get_org_project_deploys(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}/deploys"""
    raise NotImplementedYet()


def get_org_project_domains(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}/domains"""
    raise NotImplementedYet()


def post_org_project_domains(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/domains"""
    raise NotImplementedYet()


def delete_org_project_domain(**_params):
    """DELETE /api/org/{slug}/projects/{projectSlug}/domains/{id}"""
    raise NotImplementedYet()


def post_org_project_domain_verify(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/domains/{id}/verify"""
    raise NotImplementedYet()


def get_org_project_errors(**_params):
    """GET /api/org/{slug}/projects/{projectSlug}/errors"""
    raise NotImplementedYet()


def post_org_project_pause(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/pause"""
    raise NotImplementedYet()


def post_org_project_provision_retry(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/provision-retry"""
    raise NotImplementedYet()


def post_org_project_reprovision_admin(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/reprovision-admin"""
    raise NotImplementedYet()


def post_org_project_restore(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/restore"""
    raise NotImplementedYet()


def post_org_project_resume(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/resume"""
    raise NotImplementedYet()


def post_org_project_upgrade(**_params):
    """POST /api/org/{slug}/projects/{projectSlug}/upgrade"""
    raise NotImplementedYet()
