"""Statistics, the room: the analytical copy and the reports read from it.

- `analytical_copy`: what the copy holds (its columns, declared once) and how changes become rows;
- `refresh`: bring the copy up to date with the transactional database;
- `conversion`: the exchange-rate factors reports convert with;
- `shapes`: what each report is asked and answers;
- `reports`: the bulletin, the Time Release Study and the mirror report, and who may read them.
"""
