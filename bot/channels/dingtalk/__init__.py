"""DingTalk (钉钉) internal-app robot: settings, inbound checks, Stream client, API client, quotas, directory.

Import the parts from their modules: the package itself imports nothing, so reading the settings
(bot/settings.py) does not load the channel.
"""
