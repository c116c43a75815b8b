/*
 * Local cdk8s validation plugin (see cdk8s.yaml `validations`). The synth step has just compiled
 * build/, so this only loads lib/checks/plugin from there.
 */
'use strict';
const path = require('path');
const { ensureBuild } = require('./ensure-build');

module.exports = require(path.join(ensureBuild(), 'lib', 'checks', 'plugin.js'));
