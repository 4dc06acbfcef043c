UPDATE trunks SET rel100 = 'required' WHERE name = 'pbx';
