# @summary ec2gw in Keystone: the service user and its roles, and the `ec2` catalog service
#   with its endpoints (where Horizon's ec2rc.sh and EC2 tools look for the gateway).
#
# Debian has no openstacklib types (keystone_user, keystone_service...), so this class runs the
# openstack client for the user and roles, and `ec2gw-manage catalog register` for the catalog,
# each as an exec guarded by a read-only check (unless): a second run changes nothing. The
# admin identity comes from `environment` (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
# OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME), never from the command line.
#
# @example
#   class { 'ec2gw::keystone::auth':
#     password    => Sensitive('secret'),
#     public_url  => 'https://ec2.example.org:8788',
#     environment => ['OS_AUTH_URL=https://keystone.example.org:5000/v3', 'OS_USERNAME=admin',
#                     'OS_PASSWORD=...', 'OS_PROJECT_NAME=admin'],
#   }
#
# @param password
#   The service user's password (set when the user is created; an existing user keeps its own).
# @param public_url
#   The public endpoint of the ec2 service.
# @param internal_url
#   The internal endpoint (default: public_url).
# @param admin_url
#   The admin endpoint (default: public_url).
# @param region
#   The endpoints' region.
# @param auth_name
#   The service user's name.
# @param tenant
#   The project the user gets its roles in.
# @param user_domain
#   The service user's domain.
# @param project_domain
#   The project's domain.
# @param roles
#   The user's roles in the project: admin lets ec2gw read users' EC2 credentials itself (else
#   Keystone verifies every request; `ec2gw-manage check` says which).
# @param configure_user
#   Create the user.
# @param configure_user_role
#   Grant the roles.
# @param configure_endpoint
#   Register the ec2 service and endpoints.
# @param environment
#   The admin identity (OS_* variables) for the openstack client and ec2gw-manage.
# @param openstack_command
#   The openstack client.
# @param manage_command
#   ec2gw-manage.
# @param conf_dir
#   The conf.d ec2gw-manage reads (keystone.url and ec2.region when not in environment).
class ec2gw::keystone::auth (
  Variant[String[1], Sensitive[String[1]]] $password,
  Stdlib::HTTPUrl $public_url,
  Optional[Stdlib::HTTPUrl] $internal_url = undef,
  Optional[Stdlib::HTTPUrl] $admin_url = undef,
  String[1] $region = 'RegionOne',
  String[1] $auth_name = 'ec2gw',
  String[1] $tenant = 'service',
  String[1] $user_domain = 'Default',
  String[1] $project_domain = 'Default',
  Array[String[1]] $roles = ['admin'],
  Boolean $configure_user = true,
  Boolean $configure_user_role = true,
  Boolean $configure_endpoint = true,
  Array[Pattern[/\AOS_[A-Z_]+=/]] $environment = [],
  Stdlib::Absolutepath $openstack_command = '/usr/bin/openstack',
  Stdlib::Absolutepath $manage_command = '/usr/sbin/ec2gw-manage',
  Stdlib::Absolutepath $conf_dir = '/etc/ec2gw/conf.d',
) {
  $os = $openstack_command
  $who = "--user ${auth_name} --user-domain ${user_domain} --project ${tenant} --project-domain ${project_domain}"
  # Names go to a shell: refuse what would need quoting rather than quote it.
  $names = [$auth_name, $tenant, $user_domain, $project_domain, $region] + $roles
  $names.each |$name| {
    unless $name =~ /\A[A-Za-z0-9_.@-]+\z/ {
      fail("ec2gw::keystone::auth: '${name}' is not a plain Keystone name")
    }
  }

  if $configure_user {
    exec { "ec2gw keystone user ${auth_name}":
      command     => "${os} user create --domain ${user_domain} --password \"\$EC2GW_SERVICE_PASSWORD\" ${auth_name}",
      unless      => "${os} user show --domain ${user_domain} ${auth_name}",
      environment => $environment + ["EC2GW_SERVICE_PASSWORD=${password.unwrap}"],
      provider    => shell,
      logoutput   => on_failure,
    }
  }

  if $configure_user_role {
    $roles.each |String $role| {
      exec { "ec2gw keystone role ${role} for ${auth_name}":
        command     => "${os} role add ${who} ${role}",
        unless      => "${os} role assignment list --names ${who} --role ${role} -f value -c Role | grep -q .",
        environment => $environment,
        provider    => shell,
        logoutput   => on_failure,
      }
      if $configure_user {
        Exec["ec2gw keystone user ${auth_name}"] -> Exec["ec2gw keystone role ${role} for ${auth_name}"]
      }
    }
  }

  if $configure_endpoint {
    $urls = {
      'public'   => $public_url,
      'internal' => pick($internal_url, $public_url),
      'admin'    => pick($admin_url, $public_url),
    }
    # One register per distinct URL, with the interfaces that share it.
    $urls.group_by |$pair| { $pair[1] }.each |String $url, Array $pairs| {
      if $url =~ /[\s'"\\]/ {
        fail("ec2gw::keystone::auth: URL '${url}' has a quote, space or backslash")
      }
      $ifaces = $pairs.map |$p| { $p[0] }.join(',')
      $register = "${manage_command} -c ${conf_dir} catalog register --url '${url}' --region ${region} --interfaces ${ifaces}"
      exec { "ec2gw catalog ${ifaces} ${url}":
        command     => $register,
        # --dry-run exits 0 when the catalog already matches, 3 when it would change.
        unless      => "${register} --dry-run",
        environment => $environment,
        provider    => shell,
        logoutput   => on_failure,
      }
    }
  }
}
