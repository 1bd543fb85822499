"""The dashboard's forms, one module per views module (`forms/people.py` serves `views/people.py`);
`saving.py` holds what the change forms share."""
