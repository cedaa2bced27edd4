#!/bin/sh
launchctl load ~/Library/LaunchAgents/com.update.agent.plist
