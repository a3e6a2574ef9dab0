/* pe_version.h -- the version of pyedge, and of the runtime it bundles. */
#ifndef PE_VERSION_H
#define PE_VERSION_H
#define PE_VERSION "0.1.0"
#define PE_PYTHON_VERSION "3.13.5"
#endif
