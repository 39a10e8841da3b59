"""The SIP agent: answers the complaint line, records every call, gives the caller a ticket number.

``agent`` owns PJSIP (one thread, the endpoint's), ``call`` is one call's media and
timers, ``flow`` the conversation as a state machine without SIP, ``prompts`` the
voice prompts, ``sink`` where finished calls go (the database, see ``hotline.phone``).
"""
