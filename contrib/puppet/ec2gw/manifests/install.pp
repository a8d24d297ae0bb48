# @summary The ec2gw package (ec2gwd, ec2gw-manage, the stock plugins, the ec2gw user).
#
# @api private
class ec2gw::install {
  assert_private()

  if $ec2gw::manage_package {
    # apt keeps a conffile Puppet has rewritten (--force-confold) when the package is upgraded.
    package { $ec2gw::package_name:
      ensure          => $ec2gw::package_ensure,
      source          => $ec2gw::package_source,
      install_options => $ec2gw::package_install_options,
      configfiles     => 'keep',
    }
  }
}
