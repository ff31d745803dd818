#!/bin/sh
# Containers have no init system: package scripts must never start services at install time.
exit 101
