module.exports = require('./temp-folder').setup;
