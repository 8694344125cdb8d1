"""backlex — Enterprise SSO: operations tagged 'Enterprise SSO'."""

from spec_server.errors import NotImplementedYet


def delete_org_sso(**_params):
    """DELETE /api/org/{slug}/sso"""
    raise NotImplementedYet()


def get_org_sso(**_params):
    """GET /api/org/{slug}/sso"""
    raise NotImplementedYet()


def put_org_sso(**_params):
    """PUT /api/org/{slug}/sso"""
    raise NotImplementedYet()
